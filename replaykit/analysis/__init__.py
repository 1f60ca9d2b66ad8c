"""From decoded events to human actions, labels and timelines."""
