"""The client sync engine and the wire protocol it shares with the server. No Qt."""
