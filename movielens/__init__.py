"""The MovieLens library: formats and readers, wrangling rules, enrichment, the synthetic sample,
download, the catalogue, the example codec and per-user histories.

Plain Python (numpy, and TensorFlow's ``tf.train.Example`` protos for the codec); no TFX. Every
other package imports it; it imports none of them.
"""
