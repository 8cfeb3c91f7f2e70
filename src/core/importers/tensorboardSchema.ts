// Generated from tensorboard.proto (the documented source) by test/unit/importers/tensorboard.test.ts
// with RUNLENS_UPDATE_SCHEMA=1; that test checks that the two agree. Do not edit by hand.

/** protobufjs JSON descriptor of the TensorFlow event-file messages (package tensorflow). */
export const TENSORBOARD_SCHEMA = {
  nested: {
    tensorflow: {
      nested: {
        Event: {
          oneofs: {
            what: {
              oneof: [
                'file_version',
                'graph_def',
                'summary',
                'log_message',
                'session_log',
                'tagged_run_metadata',
                'meta_graph_def',
              ],
            },
          },
          fields: {
            wall_time: {
              type: 'double',
              id: 1,
            },
            step: {
              type: 'int64',
              id: 2,
            },
            file_version: {
              type: 'string',
              id: 3,
            },
            graph_def: {
              type: 'bytes',
              id: 4,
            },
            summary: {
              type: 'Summary',
              id: 5,
            },
            log_message: {
              type: 'LogMessage',
              id: 6,
            },
            session_log: {
              type: 'SessionLog',
              id: 7,
            },
            tagged_run_metadata: {
              type: 'TaggedRunMetadata',
              id: 8,
            },
            meta_graph_def: {
              type: 'bytes',
              id: 9,
            },
            source_metadata: {
              type: 'SourceMetadata',
              id: 10,
            },
          },
        },
        SourceMetadata: {
          fields: {
            writer: {
              type: 'string',
              id: 1,
            },
          },
        },
        LogMessage: {
          fields: {
            level: {
              type: 'Level',
              id: 1,
            },
            message: {
              type: 'string',
              id: 2,
            },
          },
          nested: {
            Level: {
              values: {
                UNKNOWN: 0,
                DEBUGGING: 10,
                INFO: 20,
                WARN: 30,
                ERROR: 40,
                FATAL: 50,
              },
            },
          },
        },
        SessionLog: {
          fields: {
            status: {
              type: 'SessionStatus',
              id: 1,
            },
            checkpoint_path: {
              type: 'string',
              id: 2,
            },
            msg: {
              type: 'string',
              id: 3,
            },
          },
          nested: {
            SessionStatus: {
              values: {
                STATUS_UNSPECIFIED: 0,
                START: 1,
                STOP: 2,
                CHECKPOINT: 3,
              },
            },
          },
        },
        TaggedRunMetadata: {
          fields: {
            tag: {
              type: 'string',
              id: 1,
            },
            run_metadata: {
              type: 'bytes',
              id: 2,
            },
          },
        },
        DataClass: {
          values: {
            DATA_CLASS_UNKNOWN: 0,
            DATA_CLASS_SCALAR: 1,
            DATA_CLASS_TENSOR: 2,
            DATA_CLASS_BLOB_SEQUENCE: 3,
          },
        },
        SummaryDescription: {
          fields: {
            type_hint: {
              type: 'string',
              id: 1,
            },
          },
        },
        HistogramProto: {
          fields: {
            min: {
              type: 'double',
              id: 1,
            },
            max: {
              type: 'double',
              id: 2,
            },
            num: {
              type: 'double',
              id: 3,
            },
            sum: {
              type: 'double',
              id: 4,
            },
            sum_squares: {
              type: 'double',
              id: 5,
            },
            bucket_limit: {
              rule: 'repeated',
              type: 'double',
              id: 6,
              options: {
                packed: true,
              },
            },
            bucket: {
              rule: 'repeated',
              type: 'double',
              id: 7,
              options: {
                packed: true,
              },
            },
          },
        },
        SummaryMetadata: {
          fields: {
            plugin_data: {
              type: 'PluginData',
              id: 1,
            },
            display_name: {
              type: 'string',
              id: 2,
            },
            summary_description: {
              type: 'string',
              id: 3,
            },
            data_class: {
              type: 'DataClass',
              id: 4,
            },
          },
          nested: {
            PluginData: {
              fields: {
                plugin_name: {
                  type: 'string',
                  id: 1,
                },
                content: {
                  type: 'bytes',
                  id: 2,
                },
              },
            },
          },
        },
        Summary: {
          fields: {
            value: {
              rule: 'repeated',
              type: 'Value',
              id: 1,
            },
          },
          nested: {
            Image: {
              fields: {
                height: {
                  type: 'int32',
                  id: 1,
                },
                width: {
                  type: 'int32',
                  id: 2,
                },
                colorspace: {
                  type: 'int32',
                  id: 3,
                },
                encoded_image_string: {
                  type: 'bytes',
                  id: 4,
                },
              },
            },
            Audio: {
              fields: {
                sample_rate: {
                  type: 'float',
                  id: 1,
                },
                num_channels: {
                  type: 'int64',
                  id: 2,
                },
                length_frames: {
                  type: 'int64',
                  id: 3,
                },
                encoded_audio_string: {
                  type: 'bytes',
                  id: 4,
                },
                content_type: {
                  type: 'string',
                  id: 5,
                },
              },
            },
            Value: {
              oneofs: {
                value: {
                  oneof: [
                    'simple_value',
                    'obsolete_old_style_histogram',
                    'image',
                    'histo',
                    'audio',
                    'tensor',
                  ],
                },
              },
              fields: {
                node_name: {
                  type: 'string',
                  id: 7,
                },
                tag: {
                  type: 'string',
                  id: 1,
                },
                metadata: {
                  type: 'SummaryMetadata',
                  id: 9,
                },
                simple_value: {
                  type: 'float',
                  id: 2,
                },
                obsolete_old_style_histogram: {
                  type: 'bytes',
                  id: 3,
                },
                image: {
                  type: 'Image',
                  id: 4,
                },
                histo: {
                  type: 'HistogramProto',
                  id: 5,
                },
                audio: {
                  type: 'Audio',
                  id: 6,
                },
                tensor: {
                  type: 'TensorProto',
                  id: 8,
                },
              },
            },
          },
        },
        DataType: {
          values: {
            DT_INVALID: 0,
            DT_FLOAT: 1,
            DT_DOUBLE: 2,
            DT_INT32: 3,
            DT_UINT8: 4,
            DT_INT16: 5,
            DT_INT8: 6,
            DT_STRING: 7,
            DT_COMPLEX64: 8,
            DT_INT64: 9,
            DT_BOOL: 10,
            DT_QINT8: 11,
            DT_QUINT8: 12,
            DT_QINT32: 13,
            DT_BFLOAT16: 14,
            DT_QINT16: 15,
            DT_QUINT16: 16,
            DT_UINT16: 17,
            DT_COMPLEX128: 18,
            DT_HALF: 19,
            DT_RESOURCE: 20,
            DT_VARIANT: 21,
            DT_UINT32: 22,
            DT_UINT64: 23,
          },
        },
        TensorShapeProto: {
          fields: {
            dim: {
              rule: 'repeated',
              type: 'Dim',
              id: 2,
            },
            unknown_rank: {
              type: 'bool',
              id: 3,
            },
          },
          nested: {
            Dim: {
              fields: {
                size: {
                  type: 'int64',
                  id: 1,
                },
                name: {
                  type: 'string',
                  id: 2,
                },
              },
            },
          },
        },
        TensorProto: {
          fields: {
            dtype: {
              type: 'DataType',
              id: 1,
            },
            tensor_shape: {
              type: 'TensorShapeProto',
              id: 2,
            },
            version_number: {
              type: 'int32',
              id: 3,
            },
            tensor_content: {
              type: 'bytes',
              id: 4,
            },
            half_val: {
              rule: 'repeated',
              type: 'int32',
              id: 13,
              options: {
                packed: true,
              },
            },
            float_val: {
              rule: 'repeated',
              type: 'float',
              id: 5,
              options: {
                packed: true,
              },
            },
            double_val: {
              rule: 'repeated',
              type: 'double',
              id: 6,
              options: {
                packed: true,
              },
            },
            int_val: {
              rule: 'repeated',
              type: 'int32',
              id: 7,
              options: {
                packed: true,
              },
            },
            string_val: {
              rule: 'repeated',
              type: 'bytes',
              id: 8,
            },
            scomplex_val: {
              rule: 'repeated',
              type: 'float',
              id: 9,
              options: {
                packed: true,
              },
            },
            int64_val: {
              rule: 'repeated',
              type: 'int64',
              id: 10,
              options: {
                packed: true,
              },
            },
            bool_val: {
              rule: 'repeated',
              type: 'bool',
              id: 11,
              options: {
                packed: true,
              },
            },
            dcomplex_val: {
              rule: 'repeated',
              type: 'double',
              id: 12,
              options: {
                packed: true,
              },
            },
            uint32_val: {
              rule: 'repeated',
              type: 'uint32',
              id: 16,
              options: {
                packed: true,
              },
            },
            uint64_val: {
              rule: 'repeated',
              type: 'uint64',
              id: 17,
              options: {
                packed: true,
              },
            },
          },
        },
        HParamsPluginData: {
          oneofs: {
            data: {
              oneof: ['experiment', 'session_start_info', 'session_end_info'],
            },
          },
          fields: {
            version: {
              type: 'int32',
              id: 1,
            },
            experiment: {
              type: 'bytes',
              id: 2,
            },
            session_start_info: {
              type: 'SessionStartInfo',
              id: 3,
            },
            session_end_info: {
              type: 'SessionEndInfo',
              id: 4,
            },
          },
        },
        SessionStartInfo: {
          fields: {
            hparams: {
              keyType: 'string',
              type: 'Value',
              id: 1,
            },
            model_uri: {
              type: 'string',
              id: 2,
            },
            monitor_url: {
              type: 'string',
              id: 3,
            },
            group_name: {
              type: 'string',
              id: 4,
            },
            start_time_secs: {
              type: 'double',
              id: 5,
            },
          },
        },
        SessionEndInfo: {
          fields: {
            status: {
              type: 'int32',
              id: 1,
            },
            end_time_secs: {
              type: 'double',
              id: 2,
            },
          },
        },
        Value: {
          oneofs: {
            kind: {
              oneof: [
                'null_value',
                'number_value',
                'string_value',
                'bool_value',
                'struct_value',
                'list_value',
              ],
            },
          },
          fields: {
            null_value: {
              type: 'int32',
              id: 1,
            },
            number_value: {
              type: 'double',
              id: 2,
            },
            string_value: {
              type: 'string',
              id: 3,
            },
            bool_value: {
              type: 'bool',
              id: 4,
            },
            struct_value: {
              type: 'bytes',
              id: 5,
            },
            list_value: {
              type: 'bytes',
              id: 6,
            },
          },
        },
      },
    },
  },
};
