"""Process-per-call AGI scripts: Asterisk runs them with AGI(<script>)."""
