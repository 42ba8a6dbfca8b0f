"""What the function is told: its settings (environment variables), the events it accepts, the names it
shares with the stack, and its Logger and Metrics."""
