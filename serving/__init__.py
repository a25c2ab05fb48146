"""TF Serving client (gRPC and REST, two-stage recommend) and the local model server."""
