// SlotRing<Meta>: a FIFO of byte records over storage the caller supplies. The storage is cut
// into fixed-size slots; each slot holds one record (a length, a trivially copyable Meta and up
// to slot_payload() bytes). No allocation; pushing into a full ring fails (or, with
// push_overwrite, drops the oldest record).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace unikit::net::util {

struct NoMeta {};

template <class Meta = NoMeta>
class SlotRing {
    static_assert(std::is_trivially_copyable_v<Meta>);

public:
    struct Record {
        Meta meta;
        std::span<const std::uint8_t> data;
    };

    SlotRing() = default;
    // slot_size is the whole slot (header included); storage.size() / slot_size slots are made.
    SlotRing(std::span<std::uint8_t> storage, std::size_t slot_size) { reset(storage, slot_size); }

    void reset(std::span<std::uint8_t> storage, std::size_t slot_size) {
        storage_ = storage;
        slot_size_ = slot_size < kHeader + 1 ? kHeader + 1 : slot_size;
        slots_ = storage.size() / slot_size_;
        head_ = count_ = 0;
    }

    std::size_t size() const { return count_; }
    std::size_t capacity() const { return slots_; }
    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == slots_; }
    std::size_t slot_payload() const { return slot_size_ - kHeader; }

    // Appends a record made of the concatenation of a and b. Fails (false) if full or too big.
    bool push(const Meta& meta, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
        if (full() || slots_ == 0 || a.size() + b.size() > slot_payload()) return false;
        std::uint8_t* s = slot((head_ + count_) % slots_);
        std::size_t len = a.size() + b.size();
        std::memcpy(s, &len, sizeof len);
        std::memcpy(s + sizeof len, &meta, sizeof meta);
        if (!a.empty()) std::memcpy(s + kHeader, a.data(), a.size());
        if (!b.empty()) std::memcpy(s + kHeader + a.size(), b.data(), b.size());
        ++count_;
        return true;
    }
    // Like push, but when full the oldest record is dropped first. Returns false only if the
    // record cannot fit in a slot at all.
    bool push_overwrite(const Meta& meta, std::span<const std::uint8_t> a,
                        std::span<const std::uint8_t> b = {}) {
        if (slots_ == 0 || a.size() + b.size() > slot_payload()) return false;
        if (full()) pop();
        return push(meta, a, b);
    }

    // The record at position i (0 = oldest). The data view is valid until the slot is reused.
    Record at(std::size_t i) const {
        const std::uint8_t* s = slot((head_ + i) % slots_);
        std::size_t len;
        Meta meta;
        std::memcpy(&len, s, sizeof len);
        std::memcpy(&meta, s + sizeof len, sizeof meta);
        return {meta, {s + kHeader, len}};
    }
    Record front() const { return at(0); }
    // Mutable access to the bytes of record i (e.g. to patch a header in place).
    std::span<std::uint8_t> mutable_data(std::size_t i) {
        std::uint8_t* s = slot((head_ + i) % slots_);
        std::size_t len;
        std::memcpy(&len, s, sizeof len);
        return {s + kHeader, len};
    }
    void pop() {
        if (count_ == 0) return;
        head_ = (head_ + 1) % slots_;
        --count_;
    }
    void clear() { head_ = count_ = 0; }

    // Bytes of each slot taken by the record's length and Meta.
    static constexpr std::size_t kHeader = (sizeof(std::size_t) + sizeof(Meta) + 7) & ~std::size_t{7};

private:
    std::uint8_t* slot(std::size_t i) const { return storage_.data() + i * slot_size_; }

    std::span<std::uint8_t> storage_{};
    std::size_t slot_size_ = 0;
    std::size_t slots_ = 0;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

}  // namespace unikit::net::util
