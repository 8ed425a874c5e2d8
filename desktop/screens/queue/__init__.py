from desktop.screens.queue.screen import QueueScreen

__all__ = ["QueueScreen"]
