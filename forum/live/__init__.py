"""Live: Socket.IO rooms and the events the server pushes."""
