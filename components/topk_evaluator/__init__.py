"""TopKEvaluator: full-catalogue top-K accuracy on Beam, gated against popularity and the last blessed model."""
