// unikit cancellation: a CancelSource triggers; CancelTokens observe; registrations get called.
//
//   unikit::CancelSource stop;
//   spawn(worker(stop.token()));           // worker: auto r = co_await sleep(10s, token);
//   ...                                    //         if (!r) -> r.error() == Error::cancelled
//   stop.cancel();
//
// Single-threaded. A CancelSource must outlive the tokens taken from it, or be destroyed only when
// no operation uses them any more (destroying it detaches registrations without calling them).
#pragma once

#include <unikit/intrusive.h>

namespace unikit {

class CancelSource;

// A callback run once when its source is cancelled (at once if it already is when registered).
class CancelRegistration : private IntrusiveNode {
public:
    using Callback = void (*)(void* ctx);
    CancelRegistration() = default;
    ~CancelRegistration() { reset(); }
    CancelRegistration(const CancelRegistration&) = delete;
    CancelRegistration& operator=(const CancelRegistration&) = delete;

    void reset() noexcept {
        unlink();
        source_ = nullptr;
    }

private:
    friend class CancelSource;
    friend class CancelToken;
    friend class IntrusiveList<CancelRegistration>;
    Callback fn_ = nullptr;
    void* ctx_ = nullptr;
    CancelSource* source_ = nullptr;
};

class CancelToken {
public:
    constexpr CancelToken() noexcept = default;
    bool cancelled() const noexcept;
    bool can_be_cancelled() const noexcept { return source_ != nullptr; }
    // Registers `fn(ctx)` to run when the source is cancelled. If it is cancelled already, runs it
    // now. A token without a source never calls it.
    void on_cancel(CancelRegistration& reg, CancelRegistration::Callback fn, void* ctx) const noexcept;

private:
    friend class CancelSource;
    constexpr explicit CancelToken(CancelSource* s) noexcept : source_(s) {}
    CancelSource* source_ = nullptr;
};

class CancelSource {
public:
    CancelSource() = default;
    CancelSource(const CancelSource&) = delete;
    CancelSource& operator=(const CancelSource&) = delete;
    ~CancelSource() {
        while (auto* r = regs_.pop_front()) r->source_ = nullptr;
    }

    CancelToken token() noexcept { return CancelToken(this); }
    bool cancelled() const noexcept { return cancelled_; }
    // Cancels (idempotent): runs every registered callback once, in registration order.
    void cancel() noexcept {
        if (cancelled_) return;
        cancelled_ = true;
        while (auto* r = regs_.pop_front()) {
            r->source_ = nullptr;
            r->fn_(r->ctx_);
        }
    }

private:
    friend class CancelToken;
    bool cancelled_ = false;
    IntrusiveList<CancelRegistration> regs_;
};

inline bool CancelToken::cancelled() const noexcept { return source_ && source_->cancelled_; }

inline void CancelToken::on_cancel(CancelRegistration& reg, CancelRegistration::Callback fn, void* ctx) const noexcept {
    reg.reset();
    if (!source_) return;
    if (source_->cancelled_) {
        fn(ctx);
        return;
    }
    reg.fn_ = fn;
    reg.ctx_ = ctx;
    reg.source_ = source_;
    source_->regs_.push_back(reg);
}

}  // namespace unikit
