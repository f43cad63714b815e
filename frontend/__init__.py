"""Server-rendered pages: the public site and each firm's portal."""
