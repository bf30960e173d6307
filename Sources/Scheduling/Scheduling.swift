// The Scheduling module; see DESIGN.md §8.
