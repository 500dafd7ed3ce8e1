"""The agents' and supervisors' web console (Flask)."""
