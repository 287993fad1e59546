# A folder of PNGs, PNG_ROOT=DIR: the photos pipeline on it.
ifeq ($(PNG_ROOT),)
$(error the png-example pipeline needs PNG_ROOT=DIR, a folder of PNGs (class subfolders give labels))
endif
PHOTOS := $(PNG_ROOT)
include pipelines/photos.mk
