/// A raw pointer handed to parallel work items (`Parallel.run`) that touch disjoint elements.
package struct SendablePointer<T>: @unchecked Sendable {
    package let base: UnsafeMutablePointer<T>
    package init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}
