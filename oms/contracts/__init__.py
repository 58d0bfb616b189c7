"""What workflows and activities pass each other: every input and result, one module per
concept. Only pydantic and oms.domain are imported here, so a workflow can import any of it
without loading a database driver or an HTTP client."""
