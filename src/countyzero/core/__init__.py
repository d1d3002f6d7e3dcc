"""Core pieces every engine shares: units, GWP sets, traces, errors and input readers."""
