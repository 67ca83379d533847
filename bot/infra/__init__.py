"""Infrastructure: the database, observability and signed links."""
