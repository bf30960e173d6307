// The Engine module; see DESIGN.md §8.
