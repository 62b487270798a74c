"""Evidence intake and storage: content-addressed blobs and their hashes."""
