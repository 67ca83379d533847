"""The district's catalogue: loading the data files, the per-process snapshot, the working calendar."""
