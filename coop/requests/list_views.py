"""The list of requests: filters, text search, sorting, pagination."""
