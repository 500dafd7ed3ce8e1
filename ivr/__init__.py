"""The Persian IVR: AGI protocol, menu engine, call flows and prompts."""
