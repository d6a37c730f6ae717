import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'rooms' })
export class Room {
  @PrimaryColumn({ type: 'text' })
  id: string;

  /**
   * For a two-person room, the sorted pair of user ids; unique, so two people
   * creating their direct room at the same moment end up with one room.
   */
  @Column({ name: 'direct_key', type: 'text', nullable: true, unique: true })
  directKey: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Highest `seq` given out in this room; bumped under the row lock. */
  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq: number;

  @Column({ name: 'last_activity_at', type: 'timestamptz' })
  lastActivityAt: Date;
}
