"""TFRS trainers (retrieval, ranking, multi-task): see issue 3."""
