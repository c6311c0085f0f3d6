"""JSON Schemas shipped as package data: the configuration file and format files."""
