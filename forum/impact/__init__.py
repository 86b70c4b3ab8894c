"""The impact report: what came of the ideas, in figures, for programme staff."""
