/*
 * whisper.cpp's C API as the library EdControl runs exports it: CrispASR 0.8.45's build of
 * whisper.cpp (PyPI `crispasr` 0.8.45, unpacked into .deps/whisper/lib by scripts/setup.sh;
 * libwhisper.so, ggml 0.26.0). The wheel ships no header, so the declarations EdControl uses
 * are here, with the struct layouts of that fork's include/crispasr.h (CrispStrobe/CrispASR
 * at 0b399f6c): its whisper_full_params is NOT upstream whisper.cpp's (it adds
 * carry_initial_prompt, alt_n and grammar_strict), so this header fits that version only.
 * The layouts were checked against the binary (struct sizes and every field offset the
 * library's own setters and defaults write). x86_64 LP64.
 */
#ifndef EDCONTROL_WHISPER_API_H
#define EDCONTROL_WHISPER_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct whisper_context;   /* opaque */
struct whisper_state;     /* opaque */

typedef int32_t whisper_token;

/* ---- context params ------------------------------------------------------ */

enum whisper_alignment_heads_preset {
    WHISPER_AHEADS_NONE,
    WHISPER_AHEADS_N_TOP_MOST,
    WHISPER_AHEADS_CUSTOM,
    WHISPER_AHEADS_TINY_EN,
    WHISPER_AHEADS_TINY,
    WHISPER_AHEADS_BASE_EN,
    WHISPER_AHEADS_BASE,
    WHISPER_AHEADS_SMALL_EN,
    WHISPER_AHEADS_SMALL,
    WHISPER_AHEADS_MEDIUM_EN,
    WHISPER_AHEADS_MEDIUM,
    WHISPER_AHEADS_LARGE_V1,
    WHISPER_AHEADS_LARGE_V2,
    WHISPER_AHEADS_LARGE_V3,
    WHISPER_AHEADS_LARGE_V3_TURBO,
};

typedef struct whisper_ahead {
    int n_text_layer;
    int n_head;
} whisper_ahead;

typedef struct whisper_aheads {
    size_t n_heads;
    const whisper_ahead * heads;
} whisper_aheads;

struct whisper_context_params {                          /* size 48 */
    bool  use_gpu;                                       /*  0  default true  */
    bool  flash_attn;                                    /*  1  default true  */
    int   gpu_device;                                    /*  4  default 0     */
    bool  dtw_token_timestamps;                          /*  8  default false */
    enum whisper_alignment_heads_preset dtw_aheads_preset; /* 12 default NONE */
    int   dtw_n_top;                                     /* 16  default -1    */
    struct whisper_aheads dtw_aheads;                    /* 24  {0, NULL}     */
    size_t dtw_mem_size;                                 /* 40  128 MiB       */
};

/* ---- token data ---------------------------------------------------------- */

typedef struct whisper_token_data {                      /* size 56 */
    whisper_token id;    /*  0 token id */
    whisper_token tid;   /*  4 forced timestamp token id */
    float p;             /*  8 probability of the token */
    float plog;          /* 12 log probability */
    float pt;            /* 16 probability of the timestamp token */
    float ptsum;         /* 20 sum of probabilities of all timestamp tokens */
    int64_t t0;          /* 24 token start (centiseconds), only with token_timestamps */
    int64_t t1;          /* 32 token end   (centiseconds), only with token_timestamps */
    int64_t t_dtw;       /* 40 DTW time, only with dtw_token_timestamps */
    float vlen;          /* 48 voice length */
} whisper_token_data;

/* ---- full params --------------------------------------------------------- */

enum whisper_sampling_strategy {
    WHISPER_SAMPLING_GREEDY = 0,
    WHISPER_SAMPLING_BEAM_SEARCH = 1,
};

/* Callbacks (signatures as in the library header). */
typedef void (*whisper_new_segment_callback)(struct whisper_context * ctx, struct whisper_state * state,
                                             int n_new, void * user_data);
typedef void (*whisper_progress_callback)(struct whisper_context * ctx, struct whisper_state * state,
                                          int progress, void * user_data);
typedef bool (*whisper_encoder_begin_callback)(struct whisper_context * ctx, struct whisper_state * state,
                                               void * user_data);
typedef bool (*ggml_abort_callback)(void * data);           /* from ggml.h */
typedef void (*whisper_logits_filter_callback)(struct whisper_context * ctx, struct whisper_state * state,
                                               const whisper_token_data * tokens, int n_tokens,
                                               float * logits, void * user_data);

/* from ggml.h: enum ggml_log_level + ggml_log_callback */
enum ggml_log_level {
    GGML_LOG_LEVEL_NONE  = 0,
    GGML_LOG_LEVEL_DEBUG = 1,
    GGML_LOG_LEVEL_INFO  = 2,
    GGML_LOG_LEVEL_WARN  = 3,
    GGML_LOG_LEVEL_ERROR = 4,
    GGML_LOG_LEVEL_CONT  = 5,
};
typedef void (*ggml_log_callback)(enum ggml_log_level level, const char * text, void * user_data);

struct whisper_grammar_element;   /* only used through a pointer here */

typedef struct whisper_vad_params {                      /* size 24 */
    float threshold;
    int   min_speech_duration_ms;
    int   min_silence_duration_ms;
    float max_speech_duration_s;
    int   speech_pad_ms;
    float samples_overlap;
} whisper_vad_params;

struct whisper_full_params {                             /* size 312 (0x138) */
    enum whisper_sampling_strategy strategy;             /*   0 */
    int n_threads;                                       /*   4  default min(4, hw threads) */
    int n_max_text_ctx;                                  /*   8  16384 */
    int offset_ms;                                       /*  12 */
    int duration_ms;                                     /*  16 */

    bool translate;                                      /*  20 */
    bool no_context;                                     /*  21  default true  */
    bool no_timestamps;                                  /*  22 */
    bool single_segment;                                 /*  23 */
    bool print_special;                                  /*  24 */
    bool print_progress;                                 /*  25  default true  */
    bool print_realtime;                                 /*  26 */
    bool print_timestamps;                               /*  27  default true  */

    bool  token_timestamps;                              /*  28 */
    float thold_pt;                                      /*  32  0.01 */
    float thold_ptsum;                                   /*  36  0.01 */
    int   max_len;                                       /*  40 */
    bool  split_on_word;                                 /*  44 */
    int   max_tokens;                                    /*  48 */

    bool debug_mode;                                     /*  52 */
    int  audio_ctx;                                      /*  56 */

    bool tdrz_enable;                                    /*  60 */

    const char * suppress_regex;                         /*  64 */

    const char * initial_prompt;                         /*  72 */
    bool carry_initial_prompt;                           /*  80 */
    const whisper_token * prompt_tokens;                 /*  88 */
    int prompt_n_tokens;                                 /*  96 */

    const char * language;                               /* 104  default "en"; NULL/""/"auto" = detect */
    bool detect_language;                                /* 112 */

    bool suppress_blank;                                 /* 113  default true */
    bool suppress_nst;                                   /* 114 */

    float temperature;                                   /* 116  0.0  */
    float max_initial_ts;                                /* 120  1.0  */
    float length_penalty;                                /* 124  -1.0 */

    float temperature_inc;                               /* 128  0.2  */
    float entropy_thold;                                 /* 132  2.4  */
    float logprob_thold;                                 /* 136  -1.0 */
    float no_speech_thold;                               /* 140  0.6  */

    struct {
        int best_of;                                     /* 144  5 (greedy) / -1 */
    } greedy;

    struct {
        int   beam_size;                                 /* 148  5 (beam) / -1 */
        float patience;                                  /* 152  -1.0 */
    } beam_search;

    whisper_new_segment_callback   new_segment_callback;            /* 160 */
    void *                         new_segment_callback_user_data;  /* 168 */
    whisper_progress_callback      progress_callback;               /* 176 */
    void *                         progress_callback_user_data;     /* 184 */
    whisper_encoder_begin_callback encoder_begin_callback;          /* 192 */
    void *                         encoder_begin_callback_user_data;/* 200 */
    ggml_abort_callback            abort_callback;                  /* 208 */
    void *                         abort_callback_user_data;        /* 216 */
    whisper_logits_filter_callback logits_filter_callback;          /* 224 */
    void *                         logits_filter_callback_user_data;/* 232 */

    const struct whisper_grammar_element ** grammar_rules;          /* 240 */
    size_t n_grammar_rules;                                         /* 248 */
    size_t i_start_rule;                                            /* 256 */
    float  grammar_penalty;                                         /* 264  100.0 */

    bool         vad;                                               /* 268 */
    const char * vad_model_path;                                    /* 272 */
    whisper_vad_params vad_params;                                  /* 280 (24 bytes) */

    /* CrispASR additions (not in upstream whisper.cpp): */
    int  alt_n;                                                     /* 304 */
    bool grammar_strict;                                            /* 308 */
};

/* ---- functions ----------------------------------------------------------- */

const char * whisper_version(void);  /* returns the CrispASR version, "0.8.45" */

struct whisper_context_params   whisper_context_default_params(void);

struct whisper_context * whisper_init_from_file_with_params(const char * path_model,
                                                            struct whisper_context_params params);
void whisper_free(struct whisper_context * ctx);

struct whisper_full_params   whisper_full_default_params(enum whisper_sampling_strategy strategy);

int whisper_full(struct whisper_context * ctx, struct whisper_full_params params,
                 const float * samples, int n_samples);

int         whisper_full_n_segments(struct whisper_context * ctx);
int64_t     whisper_full_get_segment_t0(struct whisper_context * ctx, int i_segment);   /* centiseconds */
int64_t     whisper_full_get_segment_t1(struct whisper_context * ctx, int i_segment);   /* centiseconds */
const char * whisper_full_get_segment_text(struct whisper_context * ctx, int i_segment);
float       whisper_full_get_segment_no_speech_prob(struct whisper_context * ctx, int i_segment);

int                whisper_full_n_tokens(struct whisper_context * ctx, int i_segment);
const char *       whisper_full_get_token_text(struct whisper_context * ctx, int i_segment, int i_token);
whisper_token      whisper_full_get_token_id(struct whisper_context * ctx, int i_segment, int i_token);
whisper_token_data whisper_full_get_token_data(struct whisper_context * ctx, int i_segment, int i_token);
float              whisper_full_get_token_p(struct whisper_context * ctx, int i_segment, int i_token);
whisper_token      whisper_token_eot(struct whisper_context * ctx);   /* ids >= eot are special tokens */

int          whisper_full_lang_id(struct whisper_context * ctx);
int          whisper_pcm_to_mel(struct whisper_context * ctx, const float * samples, int n_samples, int n_threads);
/* data: n_mel rows of n_len frames, row-major; frames past n_len are read as 0 by the encoder. */
int          whisper_set_mel(struct whisper_context * ctx, const float * data, int n_len, int n_mel);
int          whisper_lang_auto_detect(struct whisper_context * ctx, int offset_ms, int n_threads, float * lang_probs);
int          whisper_lang_max_id(void);
int          whisper_lang_id(const char * lang);
const char * whisper_lang_str(int id);
const char * whisper_lang_str_full(int id);
int          whisper_is_multilingual(struct whisper_context * ctx);

void         whisper_log_set(ggml_log_callback log_callback, void * user_data);

#ifdef __cplusplus
}
#endif

#endif /* EDCONTROL_WHISPER_API_H */
