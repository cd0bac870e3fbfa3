"""The GPU worker: runs one compute job (training step or batch detection) by name, in its own process."""
