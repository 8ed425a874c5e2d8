"""The Qt desktop app and the seth-clinic command line."""
