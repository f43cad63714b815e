"""The public REST API: API-key auth, the firm guard every view inherits, one error format."""
