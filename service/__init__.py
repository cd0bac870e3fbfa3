"""The use cases every entry point shares: model and result records and their lifecycle, data-source resolution,
storage (Blob + Table), settings and the jobs the orchestrations run. Imports nothing from ``api`` or Functions."""
