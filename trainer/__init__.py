"""TFRS trainers (retrieval, ranking, multitask): data, towers, models, run_fn and the exported signatures."""
