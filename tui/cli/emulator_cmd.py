"""`finetop emulator`: run the local OpenAI fine-tuning API emulator in the foreground (the demo backend)."""

from emulator.cli import emulator_command as emulator

__all__ = ["emulator"]
