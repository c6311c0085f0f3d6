"""Protobuf messages of BBDO 3 (our own .proto files and their generated modules)."""
