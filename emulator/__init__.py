"""A local, stateful, OpenAI-compatible fine-tuning API server: finetop's demo backend and test double."""
