# A folder of PNGs given as PNG_ROOT=DIR: the photos pipeline (32x32 RGB) on it.
ifeq ($(PNG_ROOT),)
$(error the png-example pipeline needs PNG_ROOT=DIR, a folder of PNGs (class subfolders give labels))
endif
PHOTOS := $(PNG_ROOT)
include pipelines/photos.mk
