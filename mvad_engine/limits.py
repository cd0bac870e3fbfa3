"""The original service's limits, in one place."""

MIN_SLIDING_WINDOW = 28
MAX_SLIDING_WINDOW = 2880
DEFAULT_SLIDING_WINDOW = 300
MAX_TRAIN_TIMESTAMPS = 1_000_000
MAX_VARIABLES = 301
MAX_DETECT_TIMESTAMPS = 20_000
DEFAULT_TOP_CONTRIBUTORS = 10
MAX_LAST_RESULTS = 10
DEFAULT_EPOCHS = 100

# Archives (MultiTable zips come from customers): checked from the zip directory BEFORE anything is read.
MAX_ARCHIVE_ENTRIES = 1024  # every entry, folders and ignored files included
MAX_ARCHIVE_BYTES = 12 * 2**30  # total uncompressed size: 1,000,000 rows x 301 one-variable CSVs fit
MAX_COMPRESSION_RATIO = 100  # per member; CSV of numbers compresses 3-10x, zip bombs 1000x and more
COMPRESSION_RATIO_MIN_BYTES = 2**20  # tiny members may compress well without being dangerous
