// The APIServer module; see DESIGN.md §8.
