// The Tokenization module; see DESIGN.md §8.
