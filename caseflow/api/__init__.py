"""The JSON API: personal access tokens (models, services, settings page) and `/api/v1`."""
