/// A raw pointer handed to parallel work items (`Parallel.run`) that touch disjoint elements.
struct SendablePointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}
