// The Wire module; see DESIGN.md §8.
