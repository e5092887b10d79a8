"""urbsim: agent-based simulation of urban lifestyle-milieu dynamics."""
