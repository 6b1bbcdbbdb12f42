"""Storage: the database, its schema, and one small class per kind of record."""
