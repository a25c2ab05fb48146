"""MovieLens ExampleGen: reads GroupLens files (+ enrichment) into tf.Examples and a catalogue."""
