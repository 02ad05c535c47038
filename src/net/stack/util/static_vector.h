// StaticVector<T, N>: a vector with inline, fixed capacity. No allocation, no exceptions:
// push_back on a full vector returns false. T must be default-constructible and copyable
// (elements beyond size() hold default values).
#pragma once

#include <array>
#include <cstddef>
#include <span>

namespace unikit::net::util {

template <class T, std::size_t N>
class StaticVector {
public:
    constexpr std::size_t size() const { return n_; }
    static constexpr std::size_t capacity() { return N; }
    constexpr bool empty() const { return n_ == 0; }
    constexpr bool full() const { return n_ == N; }

    constexpr bool push_back(const T& v) {
        if (n_ == N) return false;
        a_[n_++] = v;
        return true;
    }
    constexpr void pop_back() {
        if (n_ > 0) a_[--n_] = T{};
    }
    // Removes element i, keeping the order of the others.
    constexpr void erase(std::size_t i) {
        if (i >= n_) return;
        for (std::size_t j = i + 1; j < n_; ++j) a_[j - 1] = a_[j];
        a_[--n_] = T{};
    }
    // Removes element i by moving the last one into its place (order not kept).
    constexpr void swap_remove(std::size_t i) {
        if (i >= n_) return;
        a_[i] = a_[n_ - 1];
        a_[--n_] = T{};
    }
    constexpr void clear() {
        for (std::size_t i = 0; i < n_; ++i) a_[i] = T{};
        n_ = 0;
    }

    constexpr T& operator[](std::size_t i) { return a_[i]; }
    constexpr const T& operator[](std::size_t i) const { return a_[i]; }
    constexpr T* begin() { return a_.data(); }
    constexpr T* end() { return a_.data() + n_; }
    constexpr const T* begin() const { return a_.data(); }
    constexpr const T* end() const { return a_.data() + n_; }
    constexpr T& back() { return a_[n_ - 1]; }
    constexpr std::span<T> span() { return {a_.data(), n_}; }
    constexpr std::span<const T> span() const { return {a_.data(), n_}; }

private:
    std::array<T, N> a_{};
    std::size_t n_ = 0;
};

}  // namespace unikit::net::util
