import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'messages' })
@Index('messages_room_seq_key', ['roomId', 'seq'], { unique: true })
export class Message {
  /** Client-generated; the primary key is what makes sending idempotent. */
  @PrimaryColumn({ name: 'message_id', type: 'text' })
  messageId: string;

  @Column({ name: 'room_id', type: 'text' })
  roomId: string;

  @Column({ type: 'integer' })
  seq: number;

  @Column({ name: 'sender_id', type: 'text' })
  senderId: string;

  @Column({ type: 'text' })
  content: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
