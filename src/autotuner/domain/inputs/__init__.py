"""What a caller asks for and whom it names: the tuning input as read, the target's identity (ARNs), payloads, memory
sizes, and which functions a deployment may reach."""
