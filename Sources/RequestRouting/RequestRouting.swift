// The RequestRouting module; see DESIGN.md §8.
