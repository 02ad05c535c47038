// Random numbers for the network code. Nothing under net/ draws randomness on its own: the
// caller passes an Rng (seeded by the caller, e.g. from uk_boot_info::entropy, or a fixed seed
// in tests). Xoshiro256 is a small, fast, deterministic generator (not cryptographic).
#pragma once

#include <cstdint>

namespace unikit::net::util {

class Rng {
public:
    virtual std::uint64_t next_u64() = 0;
    // Uniform in [0, bound) (bound > 0); slight modulo bias is acceptable here.
    std::uint64_t below(std::uint64_t bound) { return bound == 0 ? 0 : next_u64() % bound; }
    // True with probability ppm / 1'000'000.
    bool chance_ppm(std::uint32_t ppm) { return ppm != 0 && below(1'000'000) < ppm; }

protected:
    ~Rng() = default;
};

class Xoshiro256 final : public Rng {
public:
    explicit Xoshiro256(std::uint64_t seed) { reseed(seed); }
    void reseed(std::uint64_t seed) {
        for (auto& w : s_) {  // SplitMix64 expansion of the seed
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            w = z ^ (z >> 31);
        }
    }
    std::uint64_t next_u64() override {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

}  // namespace unikit::net::util
