"""Durable Functions blueprints: the training and batch-detection orchestrations and their activities."""
