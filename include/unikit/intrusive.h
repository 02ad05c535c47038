// Intrusive doubly-linked lists (no allocation): the loop's ready queue, waiter lists, registries.
#pragma once

#include <cstddef>

namespace unikit {

// A node that can be in at most one IntrusiveList. Unlinks itself when destroyed.
class IntrusiveNode {
public:
    IntrusiveNode() noexcept = default;
    IntrusiveNode(const IntrusiveNode&) = delete;
    IntrusiveNode& operator=(const IntrusiveNode&) = delete;
    ~IntrusiveNode() { unlink(); }

    bool linked() const noexcept { return next_ != nullptr; }
    void unlink() noexcept {
        if (!next_) return;
        prev_->next_ = next_;
        next_->prev_ = prev_;
        prev_ = next_ = nullptr;
    }

private:
    friend class IntrusiveListBase;
    IntrusiveNode* prev_ = nullptr;
    IntrusiveNode* next_ = nullptr;
};

class IntrusiveListBase {
public:
    IntrusiveListBase() noexcept { head_.prev_ = head_.next_ = &head_; }
    IntrusiveListBase(const IntrusiveListBase&) = delete;
    IntrusiveListBase& operator=(const IntrusiveListBase&) = delete;
    ~IntrusiveListBase() { clear(); }

    bool empty() const noexcept { return head_.next_ == &head_; }
    size_t size() const noexcept {
        size_t n = 0;
        for (auto* p = head_.next_; p != &head_; p = p->next_) ++n;
        return n;
    }
    void push_back(IntrusiveNode& n) noexcept {
        n.unlink();
        n.prev_ = head_.prev_;
        n.next_ = &head_;
        head_.prev_->next_ = &n;
        head_.prev_ = &n;
    }
    IntrusiveNode* front() const noexcept { return empty() ? nullptr : head_.next_; }
    IntrusiveNode* pop_front() noexcept {
        if (empty()) return nullptr;
        IntrusiveNode* n = head_.next_;
        n->unlink();
        return n;
    }
    // Moves every node of `other` to the end of this list.
    void splice_back(IntrusiveListBase& other) noexcept {
        while (auto* n = other.pop_front()) push_back(*n);
    }
    void clear() noexcept {
        while (pop_front()) {
        }
    }
    static IntrusiveNode* next_of(const IntrusiveNode* n) noexcept { return n->next_; }
    const IntrusiveNode* sentinel() const noexcept { return &head_; }

private:
    IntrusiveNode head_;
};

// A list of T, where T derives from IntrusiveNode (possibly via a tag base).
template <class T>
class IntrusiveList : public IntrusiveListBase {
public:
    void push_back(T& v) noexcept { IntrusiveListBase::push_back(static_cast<IntrusiveNode&>(v)); }
    T* front() const noexcept { return static_cast<T*>(IntrusiveListBase::front()); }
    T* pop_front() noexcept { return static_cast<T*>(IntrusiveListBase::pop_front()); }

    class iterator {
    public:
        iterator(const IntrusiveNode* n) : n_(n) {}
        T& operator*() const { return *static_cast<T*>(const_cast<IntrusiveNode*>(n_)); }
        T* operator->() const { return &**this; }
        iterator& operator++() {
            n_ = IntrusiveListBase::next_of(n_);
            return *this;
        }
        bool operator==(const iterator& o) const { return n_ == o.n_; }

    private:
        const IntrusiveNode* n_;
    };
    iterator begin() const { return iterator(next_of(sentinel())); }
    iterator end() const { return iterator(sentinel()); }
};

}  // namespace unikit
